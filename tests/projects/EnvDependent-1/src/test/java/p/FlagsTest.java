package p;

import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class FlagsTest {
    @Test
    public void caseDoesNotMatter() {
        assertTrue(Flags.enabled("YES"));
    }
}
