package sample;

import static org.junit.Assert.*;

import org.junit.Test;

public class WeekdaysTest {
    @Test
    public void testWorkdayNames() {
        assertEquals("Monday", Weekdays.dayName(1));
        assertEquals("Wednesday", Weekdays.dayName(3));
        assertEquals("Friday", Weekdays.dayName(5));
        assertEquals("Sunday", Weekdays.dayName(7));
    }

    @Test
    public void testSaturday() {
        assertEquals("day 6", "Saturday", Weekdays.dayName(6));
    }

    @Test
    public void testWeekend() {
        assertTrue(Weekdays.isWeekend(7));
        assertFalse(Weekdays.isWeekend(1));
    }

    @Test
    public void testNextWraps() {
        assertEquals(1, Weekdays.next(7));
        assertEquals(4, Weekdays.next(3));
    }

    @Test
    public void testAbbreviation() {
        assertEquals("Mon", Weekdays.abbreviation(1));
        assertEquals("Sun", Weekdays.abbreviation(7));
    }
}
