package sample;

import static org.junit.Assert.*;

import org.junit.Test;

public class DatesTest {
    @Test
    public void testCommonLeapYears() {
        assertTrue(Dates.isLeapYear(2024));
        assertFalse(Dates.isLeapYear(2023));
    }

    @Test
    public void testCenturyYears() {
        assertFalse("1900 is not a leap year", Dates.isLeapYear(1900));
        assertTrue("2000 is a leap year", Dates.isLeapYear(2000));
    }

    @Test
    public void testDaysInFebruary() {
        assertEquals(29, Dates.daysInMonth(2024, 2));
        assertEquals(28, Dates.daysInMonth(2023, 2));
    }

    @Test
    public void testDayOfYear() {
        assertEquals(365, Dates.dayOfYear(2023, 12, 31));
        assertEquals(61, Dates.dayOfYear(2024, 3, 1));
    }

    @Test(expected = IllegalArgumentException.class)
    public void testInvalidMonth() {
        Dates.daysInMonth(2023, 13);
    }
}
