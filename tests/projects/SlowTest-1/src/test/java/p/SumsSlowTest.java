package p;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class SumsSlowTest {
    @Test
    public void slow() throws Exception {
        Thread.sleep(2500);
        assertEquals(5050L, Sums.sumTo(100));
    }
}
