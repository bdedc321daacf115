package sample;

import static org.junit.Assert.*;

import org.junit.Test;

public class TemperatureTest {
    @Test
    public void testToFahrenheit() {
        assertEquals("boiling point", 212.0, Temperature.toFahrenheit(100.0), 1e-9);
        assertEquals("freezing point", 32.0, Temperature.toFahrenheit(0.0), 1e-9);
    }

    @Test
    public void testToCelsius() {
        assertEquals(100.0, Temperature.toCelsius(212.0), 1e-9);
        assertEquals(-40.0, Temperature.toCelsius(-40.0), 1e-9);
    }

    @Test
    public void testRoundTrip() {
        assertEquals(37.0, Temperature.toCelsius(Temperature.toFahrenheit(37.0)), 1e-9);
    }

    @Test
    public void testDescribe() {
        assertEquals("freezing", Temperature.describe(-5.0));
        assertEquals("cool", Temperature.describe(10.0));
        assertEquals("warm", Temperature.describe(25.0));
    }
}
