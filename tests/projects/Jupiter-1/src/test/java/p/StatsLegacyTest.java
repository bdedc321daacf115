package p;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class StatsLegacyTest {
    @Test
    public void three() {
        assertEquals(5, Stats.max(5, 1, 2));
    }
}
