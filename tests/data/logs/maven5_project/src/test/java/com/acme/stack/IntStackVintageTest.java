package com.acme.stack;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class IntStackVintageTest {
    @Test
    public void popEmpty() {
        assertEquals(-1, new IntStack().pop());
    }
}
