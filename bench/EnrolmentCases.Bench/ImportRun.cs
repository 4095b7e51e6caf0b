using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace EnrolmentCases.Bench;

/// <summary>What one import measured: rows, wall time from POST to completed, CPU, and progress samples.</summary>
public sealed record ImportMeasurement(int Rows, TimeSpan Accepted, TimeSpan Took, CpuTimes Cpu, string Counts,
    IReadOnlyList<(double Seconds, int Done)> Progress)
{
    public double RowsPerSecond => Rows / Took.TotalSeconds;
}

/// <summary>
/// An import of generated workers through the real API: one POST /api/imports of a CSV body, then GET
/// /api/imports/{id}?rowsPageSize=1 every 100 ms until it completes. Each row is a new, valid worker of 17.04.
/// </summary>
public static class ImportRun
{
    /// <summary>A list of distinct valid NIKs (17.04, districts 01-99), as a village list would be.</summary>
    public static string Csv(int rows, int series)
    {
        var csv = new StringBuilder("nik,fullName,regencyCode,district,village,occupation,phone,source\n");
        for (var i = 0; i < rows; i++)
        {
            // 1704 + district (01-99) + birth date 45 06 88 (a woman born 5 June 1988) + serial: 16 digits, unique per (series, i).
            var serial = series * 1_000_000 + i;
            csv.Append($"1704{serial / 9999 % 99 + 1:D2}450688{serial % 9999 + 1:D4},Worker {i},17.04,Kaur Selatan,Desa {i % 40},farmer,,P3KE\n");
        }

        return csv.ToString();
    }

    public static async Task<ImportMeasurement> RunAsync(HttpClient http, string token, string csv, int rows, CpuMeter cpu)
    {
        var body = new StringContent(csv, Encoding.UTF8, "text/csv");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/imports?fileName=bench.csv") { Content = body };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var before = cpu.Read();
        var started = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != 202) throw new InvalidOperationException($"POST /api/imports -> {(int)response.StatusCode} {text}");
        var accepted = Stopwatch.GetElapsedTime(started);
        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString();

        var progress = new List<(double, int)>();
        while (true)
        {
            await Task.Delay(100);
            using var poll = new HttpRequestMessage(HttpMethod.Get, $"/api/imports/{id}?rowsPageSize=1");
            poll.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var answer = await http.SendAsync(poll);
            var view = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
            var status = view.GetProperty("status").GetString();
            var done = view.GetProperty("done").GetInt32();
            progress.Add((Stopwatch.GetElapsedTime(started).TotalSeconds, done));
            if (status == "failed") throw new InvalidOperationException($"Import {id} failed: {view.GetProperty("failure").GetString()}");
            if (status == "completed")
            {
                var took = Stopwatch.GetElapsedTime(started);
                return new ImportMeasurement(rows, accepted, took, cpu.Read() - before, view.GetProperty("counts").GetRawText(), progress);
            }

            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromMinutes(15)) throw new TimeoutException($"Import {id} did not complete in 15 minutes");
        }
    }
}
