package sample;

import static org.junit.Assert.*;

import org.junit.Test;

public class InventoryTest {
    @Test
    public void testCountLiteral() {
        Inventory inv = new Inventory();
        inv.add("apple", 3);
        inv.add("pear", 1);
        assertEquals(3, inv.count("apple"));
    }

    @Test
    public void testCountBuiltName() {
        Inventory inv = new Inventory();
        inv.add("apple", 2);
        String name = new StringBuilder("app").append("le").toString();
        assertEquals("count of a name built at run time", 2, inv.count(name));
    }

    @Test
    public void testRemove() {
        Inventory inv = new Inventory();
        inv.add("fig", 2);
        assertTrue(inv.remove("fig"));
        assertEquals(1, inv.size());
        assertFalse(inv.remove("kiwi"));
    }

    @Test
    public void testSize() {
        Inventory inv = new Inventory();
        inv.add("a", 2);
        inv.add("b", 3);
        assertEquals(5, inv.size());
    }
}
