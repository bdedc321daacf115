package p;

import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class FlagsEnvTest {
    @Test
    public void fromTheEnvironment() {
        String v = System.getenv("REPAIRCHAT_TEST_FLAG_NEVER_SET");
        assertNotNull("needs REPAIRCHAT_TEST_FLAG_NEVER_SET in the environment", v);
        assertTrue(Flags.enabled(v));
    }

    @Test
    public void plain() {
        assertTrue(Flags.enabled("yes"));
    }
}
