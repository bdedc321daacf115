package sample;

import static org.junit.Assert.*;

import org.junit.Test;

import java.util.Arrays;
import java.util.List;

public class ChunkerTest {
    @Test
    public void testEvenSplit() {
        List<List<Integer>> c = Chunker.chunks(Arrays.asList(1, 2, 3, 4), 2);
        assertEquals(Arrays.asList(Arrays.asList(1, 2), Arrays.asList(3, 4)), c);
    }

    @Test
    public void testUnevenSplit() {
        List<List<Integer>> c = Chunker.chunks(Arrays.asList(1, 2, 3, 4, 5), 2);
        assertEquals("three chunks, the last holding 5", 3, c.size());
        assertEquals(Arrays.asList(5), c.get(2));
    }

    @Test
    public void testChunkCount() {
        assertEquals(3, Chunker.chunkCount(5, 2));
        assertEquals(2, Chunker.chunkCount(4, 2));
    }

    @Test
    public void testFlatten() {
        List<List<String>> c = Arrays.asList(Arrays.asList("a"), Arrays.asList("b", "c"));
        assertEquals(Arrays.asList("a", "b", "c"), Chunker.flatten(c));
    }

    @Test(expected = IllegalArgumentException.class)
    public void testInvalidSize() {
        Chunker.chunks(Arrays.asList(1), 0);
    }
}
