package sample;

public final class Weekdays {
    private Weekdays() {
    }

    /** ISO day number (1 = Monday .. 7 = Sunday) to its English name. */
    public static String dayName(int day) {
        String name;
        switch (day) {
            case 1:
                name = "Monday";
                break;
            case 2:
                name = "Tuesday";
                break;
            case 3:
                name = "Wednesday";
                break;
            case 4:
                name = "Thursday";
                break;
            case 5:
                name = "Friday";
                break;
            case 6:
                name = "Saturday";
            case 7:
                name = "Sunday";
                break;
            default:
                throw new IllegalArgumentException("day must be 1..7: " + day);
        }
        return name;
    }

    public static boolean isWeekend(int day) {
        return day == 6 || day == 7;
    }

    public static int next(int day) {
        return day % 7 + 1;
    }

    public static String abbreviation(int day) {
        return dayName(day).substring(0, 3);
    }
}
