package sample;

import static org.junit.Assert.*;

import org.junit.Test;

public class SortedSearchTest {
    private static final int[] A = {1, 3, 5, 7, 9};

    @Test
    public void testFindsFirst() {
        assertEquals(0, SortedSearch.indexOf(A, 1));
    }

    @Test
    public void testFindsLast() {
        assertEquals("index of 9", 4, SortedSearch.indexOf(A, 9));
    }

    @Test
    public void testMissingBelowRange() {
        assertEquals(-1, SortedSearch.indexOf(A, 0));
    }

    @Test
    public void testLowerBound() {
        assertEquals(2, SortedSearch.lowerBound(A, 4));
        assertEquals(5, SortedSearch.lowerBound(A, 10));
    }

    @Test
    public void testContains() {
        assertTrue(SortedSearch.contains(A, 5));
        assertFalse(SortedSearch.contains(A, 0));
    }
}
