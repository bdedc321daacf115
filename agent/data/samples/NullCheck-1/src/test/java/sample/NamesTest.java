package sample;

import static org.junit.Assert.*;

import org.junit.Test;

import java.util.Arrays;

public class NamesTest {
    @Test
    public void testJoin() {
        assertEquals("a, b", Names.join(Arrays.asList("a", "", " b "), ", "));
    }

    @Test
    public void testJoinSkipsNulls() {
        assertEquals("null parts are skipped", "x-y", Names.join(Arrays.asList("x", null, "y"), "-"));
    }

    @Test
    public void testInitials() {
        assertEquals("ALT", Names.initials("  ada lovelace  turing"));
    }

    @Test
    public void testCapitalize() {
        assertEquals("Hello", Names.capitalize("hELLO"));
        assertNull(Names.capitalize(null));
    }
}
