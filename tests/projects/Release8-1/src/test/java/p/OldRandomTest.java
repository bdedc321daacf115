package p;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class OldRandomTest {
    @Test
    public void boundIsAtLeastOne() {
        assertEquals(1L, OldRandom.bound(0));
    }

    @Test
    public void nextLongStaysBelowN() {
        assertTrue(OldRandom.nextLong(10) < 10);
    }
}
