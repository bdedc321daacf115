package sample;

import static org.junit.Assert.*;

import org.junit.Test;

public class MatrixTest {
    @Test
    public void testTransposeSquare() {
        int[][] m = {{1, 2}, {3, 4}};
        assertArrayEquals(new int[][] {{1, 3}, {2, 4}}, Matrix.transpose(m));
    }

    @Test
    public void testTransposeRectangular() {
        int[][] m = {{1, 2, 3}, {4, 5, 6}};
        assertArrayEquals(new int[][] {{1, 4}, {2, 5}, {3, 6}}, Matrix.transpose(m));
    }

    @Test
    public void testMultiply() {
        int[][] a = {{1, 2}, {3, 4}};
        int[][] b = {{5}, {6}};
        assertArrayEquals(new int[][] {{17}, {39}}, Matrix.multiply(a, b));
    }

    @Test
    public void testTrace() {
        assertEquals(5, Matrix.trace(new int[][] {{1, 2}, {3, 4}}));
    }

    @Test(expected = IllegalArgumentException.class)
    public void testMultiplyMismatch() {
        Matrix.multiply(new int[][] {{1, 2}}, new int[][] {{1, 2}});
    }
}
