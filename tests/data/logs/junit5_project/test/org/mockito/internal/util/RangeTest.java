package org.mockito.internal.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RangeTest {
    @Test
    void sumInclusive() {
        assertEquals(6, Range.sum(1, 3));
    }

    @Test
    void sumEmpty() {
        assertEquals(0, Range.sum(1, 1));
    }

    @Test
    void checkedNegative() {
        assertEquals(0, Range.checked(-1));
    }

    @Test
    void checkedPositive() {
        assertEquals(2, Range.checked(2));
    }

    @Test
    void sumSingle() {
        assertEquals(0, Range.sum(0, 1));
    }
}
