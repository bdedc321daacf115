package p;

public class ClampHighTest extends AbstractRangeTest {
    public void testHigh() {
        assertEquals(9, Clamp.clamp(50, 2, 9));
    }

    public void testInside() {
        assertInside(Clamp.clamp(5, 2, 9));
    }
}
