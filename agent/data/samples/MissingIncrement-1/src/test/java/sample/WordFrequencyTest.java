package sample;

import static org.junit.Assert.*;

import org.junit.Test;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;

public class WordFrequencyTest {
    @Test
    public void testCount() {
        Map<String, Integer> f = WordFrequency.count("the cat and the hat");
        assertEquals("count of 'the'", Integer.valueOf(2), f.get("the"));
        assertEquals(Integer.valueOf(1), f.get("cat"));
    }

    @Test
    public void testMostFrequent() {
        assertEquals("b", WordFrequency.mostFrequent("a b, b; c b a"));
    }

    @Test
    public void testDistinct() {
        assertEquals(new TreeSet<>(Arrays.asList("a", "b")), WordFrequency.distinct("A b a"));
    }

    @Test
    public void testEmptyText() {
        assertTrue(WordFrequency.count("").isEmpty());
        assertNull(WordFrequency.mostFrequent(""));
    }
}
