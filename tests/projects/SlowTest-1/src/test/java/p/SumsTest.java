package p;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class SumsTest {
    @Test
    public void small() {
        assertEquals(10L, Sums.sumTo(4));
    }
}
