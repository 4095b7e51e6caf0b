using System.Globalization;
using System.Text;

namespace EnrolmentCases.Bench;

/// <summary>The results as Markdown, saved after every section so that a failed run keeps what it measured.</summary>
public sealed class Report(string path)
{
    private readonly StringBuilder _text = new();

    public void Heading(string title)
    {
        _text.AppendLine().AppendLine("## " + title).AppendLine();
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {title}");
        Save();
    }

    public void Line(string line)
    {
        _text.AppendLine(line);
        Console.Error.WriteLine("  " + line);
        Save();
    }

    public void Table(string[] header, IEnumerable<object[]> rows)
    {
        _text.AppendLine("| " + string.Join(" | ", header) + " |");
        _text.AppendLine("|" + string.Concat(header.Select(_ => "---|")));
        foreach (var row in rows) Line("| " + string.Join(" | ", row.Select(Format)) + " |");
        _text.AppendLine();
        Save();
    }

    public void Code(string text)
    {
        _text.AppendLine("```").AppendLine(text.TrimEnd()).AppendLine("```");
        Save();
    }

    public static string Format(object? value) => value switch
    {
        double d when double.IsNaN(d) => "-",
        double d => d.ToString(d >= 100 ? "N0" : "0.0#", CultureInfo.InvariantCulture),
        long or int => string.Format(CultureInfo.InvariantCulture, "{0:N0}", value),
        null => "-",
        _ => value.ToString()!
    };

    private void Save() => File.WriteAllText(path, "# Benchmark results\n" + _text);
}
