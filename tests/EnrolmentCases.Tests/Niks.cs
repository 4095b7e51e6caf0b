namespace EnrolmentCases.Tests;

/// <summary>Valid, never-repeating NIKs for tests: PP KK CC DD MM YY SSSS with a woman's birth day.</summary>
public static class Niks
{
    private static int _counter;

    public static string Next(string regencyPrefix = "1704")
    {
        var n = Interlocked.Increment(ref _counter);
        var serial = n % 9999 + 1;
        var district = n / 9999 % 99 + 1;
        return $"{regencyPrefix}{district:00}450690{serial:0000}";
    }
}
