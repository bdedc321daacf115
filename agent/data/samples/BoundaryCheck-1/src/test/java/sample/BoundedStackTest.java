package sample;

import static org.junit.Assert.*;

import org.junit.Test;

public class BoundedStackTest {
    @Test
    public void testPushPop() {
        BoundedStack s = new BoundedStack(3);
        s.push(1);
        s.push(2);
        assertEquals(2, s.peek());
        assertEquals(2, s.pop());
        assertEquals(1, s.pop());
        assertEquals(0, s.size());
    }

    @Test(expected = IllegalStateException.class)
    public void testPushWhenFullThrows() {
        BoundedStack s = new BoundedStack(2);
        s.push(1);
        s.push(2);
        s.push(3);
    }

    @Test(expected = IllegalStateException.class)
    public void testPopEmptyThrows() {
        new BoundedStack(1).pop();
    }

    @Test
    public void testIsFull() {
        BoundedStack s = new BoundedStack(1);
        assertFalse(s.isFull());
        s.push(7);
        assertTrue(s.isFull());
    }
}
