package p;

public class NumZeroTest {
    @org.junit.Test(timeout = 5000)
    public void zero() {
        org.junit.Assert.assertEquals(0, Num.abs(0));
    }

    @org.junit.Test
    public void positive() {
        org.junit.Assert.assertEquals(3, Num.abs(3));
    }
}
