package com.acme.text;

import static org.junit.Assert.assertEquals;

import org.junit.BeforeClass;
import org.junit.Test;

public class SetupTest {
    private static int vowels;

    @BeforeClass
    public static void countOnce() {
        vowels = Words.countVowels("");
    }

    @Test
    public void none() {
        assertEquals(0, vowels);
    }
}
