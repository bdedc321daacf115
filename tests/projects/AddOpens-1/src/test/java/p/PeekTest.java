package p;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class PeekTest {
    @Test
    public void latin1() throws Exception {
        assertEquals(5, Peek.storedLength("hello"));
    }
}
