package p;

import junit.framework.TestCase;

public abstract class AbstractRangeTest extends TestCase {
    protected void assertInside(int v) {
        assertTrue("inside: " + v, v >= 2 && v <= 9 && v == 5);
    }
}
