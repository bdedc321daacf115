package com.acme.text;

import static org.hamcrest.CoreMatchers.is;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThat;

import org.junit.Test;

public class WordsTest {
    @Test
    public void capitalizeOneWord() {
        assertEquals("Hello", Words.capitalize("hello"));
    }

    @Test
    public void capitalizeTwoWords() {
        assertEquals("Hello World", Words.capitalize("hello world"));
    }

    @Test
    public void capitalizeMatcher() {
        assertThat(Words.capitalize("a b"), is("A B"));
    }

    @Test
    public void countVowels() {
        assertEquals(2, Words.countVowels("hello"));
    }

    @Test
    public void countVowelsEmpty() {
        assertEquals(0, Words.countVowels(""));
    }

    @Test
    public void splitSpaces() {
        assertArrayEquals(new String[] {"a", "b"}, Words.split("a  b"));
    }

    @Test(timeout = 200)
    public void drainTerminates() {
        assertEquals(0, Words.drain("x"));
    }
}
