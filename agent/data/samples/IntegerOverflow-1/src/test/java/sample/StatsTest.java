package sample;

import static org.junit.Assert.*;

import org.junit.Test;

public class StatsTest {
    @Test
    public void testMeanSmall() {
        assertEquals(2.5, Stats.mean(new int[] {1, 2, 3, 4}), 1e-9);
    }

    @Test
    public void testMeanLargeValues() {
        int big = Integer.MAX_VALUE;
        assertEquals("mean of two MAX_VALUEs", (double) big, Stats.mean(new int[] {big, big}), 1e-6);
    }

    @Test
    public void testMinMax() {
        int[] v = {4, -2, 9, 0};
        assertEquals(-2, Stats.min(v));
        assertEquals(9, Stats.max(v));
    }

    @Test(expected = IllegalArgumentException.class)
    public void testEmptyThrows() {
        Stats.mean(new int[0]);
    }
}
