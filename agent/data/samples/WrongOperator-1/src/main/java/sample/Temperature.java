package sample;

public final class Temperature {
    private Temperature() {
    }

    public static double toFahrenheit(double celsius) {
        return celsius * 9.0 / 5.0 - 32.0;
    }

    public static double toCelsius(double fahrenheit) {
        return (fahrenheit - 32.0) * 5.0 / 9.0;
    }

    public static boolean isFreezing(double celsius) {
        return celsius <= 0.0;
    }

    public static String describe(double celsius) {
        if (isFreezing(celsius)) {
            return "freezing";
        } else if (celsius < 20.0) {
            return "cool";
        }
        return "warm";
    }
}
