package sample;

public final class Dates {
    private static final int[] DAYS = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    private Dates() {
    }

    public static boolean isLeapYear(int year) {
        return year % 4 == 0 && year % 100 != 0;
    }

    public static int daysInMonth(int year, int month) {
        if (month < 1 || month > 12) {
            throw new IllegalArgumentException("month must be 1..12: " + month);
        }
        if (month == 2 && isLeapYear(year)) {
            return 29;
        }
        return DAYS[month - 1];
    }

    public static int dayOfYear(int year, int month, int day) {
        int n = day;
        for (int m = 1; m < month; m++) {
            n += daysInMonth(year, m);
        }
        return n;
    }
}
