package sample;

import static org.junit.Assert.*;

import org.junit.Test;

public class ClampTest {
    @Test
    public void testClampInt() {
        assertEquals(5, Clamp.clamp(9, 0, 5));
        assertEquals(0, Clamp.clamp(-3, 0, 5));
        assertEquals(3, Clamp.clamp(3, 0, 5));
    }

    @Test
    public void testClampDoubleBelow() {
        assertEquals(0.5, Clamp.clamp(0.1, 0.5, 1.5), 1e-9);
        assertEquals(1.0, Clamp.clamp(1.0, 0.5, 1.5), 1e-9);
    }

    @Test
    public void testClampDoubleAbove() {
        assertEquals("value above the range clamps to hi", 1.5, Clamp.clamp(2.0, 0.5, 1.5), 1e-9);
    }

    @Test
    public void testWrap() {
        assertEquals(1, Clamp.wrap(8, 1, 7));
        assertEquals(7, Clamp.wrap(0, 1, 7));
    }

    @Test(expected = IllegalArgumentException.class)
    public void testInvalidRange() {
        Clamp.clamp(1.0, 2.0, 1.0);
    }
}
