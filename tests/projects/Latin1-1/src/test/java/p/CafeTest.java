package p;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class CafeTest {
    @Test
    public void accent() {
        assertEquals("Café Müller", Cafe.sign("Müller"));
    }
}
