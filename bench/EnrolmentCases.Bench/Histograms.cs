using System.Diagnostics;
using HdrHistogram;

namespace EnrolmentCases.Bench;

/// <summary>Latencies in microseconds, up to a minute, three significant digits.</summary>
public static class Histograms
{
    public static LongHistogram Create() => new(1, 60_000_000, 3);

    public static void Record(HistogramBase histogram, long startTimestamp) =>
        RecordMicroseconds(histogram, (long)Stopwatch.GetElapsedTime(startTimestamp).TotalMicroseconds);

    public static void RecordMicroseconds(HistogramBase histogram, long microseconds)
    {
        lock (histogram) histogram.RecordValue(Math.Clamp(microseconds, 1, 60_000_000));
    }

    public static double Ms(this HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? double.NaN : histogram.GetValueAtPercentile(percentile) / 1000.0;

    public static double MaxMs(this HistogramBase histogram) =>
        histogram.TotalCount == 0 ? double.NaN : histogram.GetMaxValue() / 1000.0;
}
