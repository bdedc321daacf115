package org.mockito.internal.util;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class RangeVintageTest {
    @Test
    public void sumInclusive() {
        assertEquals(6, Range.sum(1, 3));
    }

    @Test
    public void sumEmpty() {
        assertEquals(0, Range.sum(1, 1));
    }

    @Test
    public void checkedNegative() {
        assertEquals(0, Range.checked(-1));
    }
}
