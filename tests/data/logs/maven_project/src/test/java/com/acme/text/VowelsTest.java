package com.acme.text;

import static org.junit.Assert.assertEquals;

import java.util.Arrays;
import java.util.Collection;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

@RunWith(Parameterized.class)
public class VowelsTest {
    @Parameters(name = "{0}")
    public static Collection<Object[]> data() {
        return Arrays.asList(new Object[][] {{"sky", 0}, {"tree", 2}});
    }

    private final String word;
    private final int vowels;

    public VowelsTest(String word, int vowels) {
        this.word = word;
        this.vowels = vowels;
    }

    @Test
    public void count() {
        assertEquals(vowels, Words.countVowels(word));
    }
}
