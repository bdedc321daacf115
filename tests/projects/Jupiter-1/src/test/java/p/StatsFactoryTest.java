package p;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

class StatsFactoryTest extends AbstractStatsTest {
    @Override
    int[] values() {
        return new int[] {4, 8, 6};
    }

    @TestFactory
    Stream<DynamicTest> atLeastEachValue() {
        return IntStream.of(values()).mapToObj(v -> DynamicTest.dynamicTest("value " + v,
                () -> assertTrue(Stats.max(values()) >= v)));
    }
}
