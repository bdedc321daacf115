package p;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StatsTest {
    static final AtomicInteger SETUPS = new AtomicInteger();

    @BeforeAll
    static void once() {
        SETUPS.incrementAndGet();
    }

    @Test
    void setUpRanOnce() {
        assertEquals(1, SETUPS.get());
    }

    @Test
    void positives() {
        assertEquals(3, Stats.max(1, 3, 2));
    }

    @Test
    void negatives() {
        assertEquals(-1, Stats.max(-3, -1, -2));
    }

    @ParameterizedTest
    @CsvSource({"1, 2, 2", "5, 4, 5", "0, 0, 0"})
    void pairs(int a, int b, int max) {
        assertEquals(max, Stats.max(a, b));
    }

    @Nested
    class Single {
        @Test
        void positive() {
            assertEquals(7, Stats.max(7));
        }

        @Test
        void negative() {
            assertEquals(-7, Stats.max(-7));
        }
    }
}
