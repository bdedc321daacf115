package com.acme.stack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IntStackTest {
    @Test
    void popEmpty() {
        assertEquals(-1, new IntStack().pop());
    }

    @Test
    @DisplayName("peek returns the top item")
    void peekTop() {
        IntStack s = new IntStack();
        s.push(7);
        assertEquals(7, s.peek());
    }

    @Test
    void peekEmptyThrows() {
        assertThrows(IllegalStateException.class, () -> new IntStack().peek());
    }

    @Test
    void sizes() {
        IntStack s = new IntStack();
        s.push(1);
        assertAll(() -> assertEquals(1, s.size()), () -> assertEquals(1, s.pop()));
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 4})
    void pushThenPop(int x) {
        IntStack s = new IntStack();
        s.push(x);
        assertEquals(x, s.pop());
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void sizeAfterPushes(int n) {
        IntStack s = new IntStack();
        for (int i = 0; i < n; i++) {
            s.push(i);
        }
        assertEquals(n, s.size());
    }

    @Nested
    class WhenEmpty {
        @Test
        void sizeIsZero() {
            assertEquals(0, new IntStack().size());
        }
    }
}
