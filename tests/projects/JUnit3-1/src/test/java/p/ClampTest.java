package p;

import junit.framework.TestCase;

public class ClampTest extends TestCase {
    public void testLow() {
        assertEquals(2, Clamp.clamp(-5, 2, 9));
    }
}
