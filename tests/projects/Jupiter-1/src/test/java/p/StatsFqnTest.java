package p;

import static org.junit.jupiter.api.Assertions.assertEquals;

public class StatsFqnTest {
    @org.junit.jupiter.api.Test
    void firstOfTwo() {
        assertEquals(9, Stats.max(9, 4));
    }

    @org.junit.jupiter.api.RepeatedTest(2)
    void same() {
        assertEquals(4, Stats.max(4, 4));
    }
}
