package p;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

abstract class AbstractStatsTest {
    abstract int[] values();

    @Test
    void maxIsOneOfTheValues() {
        int max = Stats.max(values());
        assertEquals(1, java.util.Arrays.stream(values()).filter(v -> v == max).count());
    }
}
