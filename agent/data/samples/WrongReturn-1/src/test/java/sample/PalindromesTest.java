package sample;

import static org.junit.Assert.*;

import org.junit.Test;

public class PalindromesTest {
    @Test
    public void testPalindrome() {
        assertTrue("classic sentence", Palindromes.isPalindrome("A man, a plan, a canal: Panama"));
        assertTrue(Palindromes.isPalindrome("racecar"));
    }

    @Test
    public void testNotPalindrome() {
        assertFalse(Palindromes.isPalindrome("palindrome"));
    }

    @Test
    public void testNormalize() {
        assertEquals("noon", Palindromes.normalize("No, on!"));
    }

    @Test
    public void testLongestPrefix() {
        assertEquals(3, Palindromes.longestPalindromicPrefix("abacus"));
        assertEquals(0, Palindromes.longestPalindromicPrefix(""));
    }
}
