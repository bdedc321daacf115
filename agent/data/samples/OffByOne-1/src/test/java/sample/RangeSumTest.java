package sample;

import static org.junit.Assert.*;

import org.junit.Test;

public class RangeSumTest {
    @Test
    public void testSumInclusive() {
        int[] a = {1, 2, 3, 4, 5};
        assertEquals("sum of a[1..3]", 9, RangeSum.sum(a, 1, 3));
        assertEquals("sum of whole array", 15, RangeSum.sum(a, 0, 4));
    }

    @Test
    public void testAverage() {
        int[] a = {2, 4, 6, 8};
        assertEquals(5.0, RangeSum.average(a, 0, 3), 1e-9);
    }

    @Test
    public void testPrefixSums() {
        assertArrayEquals(new int[] {0, 1, 3, 6}, RangeSum.prefixSums(new int[] {1, 2, 3}));
    }

    @Test(expected = IllegalArgumentException.class)
    public void testBadRangeThrows() {
        RangeSum.sum(new int[] {1, 2}, 1, 5);
    }
}
