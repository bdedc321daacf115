package p;

import static org.junit.Assert.assertEquals;

import org.junit.BeforeClass;
import org.junit.Test;

public class RegistryTest {
    @BeforeClass
    public static void registerOnce() {
        Registry.register("a");
        Registry.register("b");
    }

    @Test
    public void size() {
        assertEquals(2, Registry.size());
    }

    @Test
    public void sizeAgain() {
        assertEquals(2, Registry.size());
    }
}
