package p;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import org.junit.Test;

public class WorkersTest {
    @Test
    public void named() {
        assertEquals("w-1", Workers.newThread(() -> { }, "w-1").getName());
    }

    @Test
    public void notADaemon() {
        assertFalse("threads inherit the daemon flag of their creator", Workers.newThread(() -> { }, "x").isDaemon());
    }
}
