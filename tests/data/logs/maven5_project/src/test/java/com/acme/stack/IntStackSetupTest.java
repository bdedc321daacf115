package com.acme.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IntStackSetupTest {
    private static int top;

    @BeforeAll
    static void peekOnce() {
        top = new IntStack().peek();
    }

    @Test
    void topIsZero() {
        assertEquals(0, top);
    }
}
