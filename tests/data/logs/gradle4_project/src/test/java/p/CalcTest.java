package p;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class CalcTest {
    @Test
    public void add() {
        assertEquals(5, new Calc().add(2, 3));
    }

    @Test
    public void addZero() {
        assertEquals(2, new Calc().add(2, 0));
    }
}
