package p;

import static org.junit.Assert.assertEquals;

public class NumTest {
    @org.junit.Test
    public void negative() {
        assertEquals(7, Num.abs(-7));
    }
}
