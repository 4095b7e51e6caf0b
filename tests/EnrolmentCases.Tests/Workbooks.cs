using System.IO.Compression;
using MiniExcelLibs;

namespace EnrolmentCases.Tests;

/// <summary>Workbooks made in code for the tests (no binary fixtures), and a look inside produced ones.</summary>
public static class Workbooks
{
    /// <summary>An .xlsx whose first sheet holds these rows from A1 (a string is a text cell, a number a numeric one, null an empty cell).</summary>
    public static byte[] Xlsx(params object?[][] rows)
    {
        var width = rows.Max(r => r.Length);
        var data = rows.Select(r => Enumerable.Range(0, width)
            .ToDictionary(i => Column(i), i => i < r.Length ? r[i] : null)).ToList();
        using var stream = new MemoryStream();
        stream.SaveAs(data, printHeader: false);
        return stream.ToArray();
    }

    /// <summary>The text of one part of a package (xl/worksheets/sheet1.xml, xl/styles.xml...).</summary>
    public static string Part(byte[] xlsx, string name)
    {
        using var zip = new ZipArchive(new MemoryStream(xlsx), ZipArchiveMode.Read);
        using var reader = new StreamReader((zip.GetEntry(name) ?? throw new InvalidOperationException($"no part {name}")).Open());
        return reader.ReadToEnd();
    }

    /// <summary>A package with one more part: a well-formed workbook that also carries, say, a part that inflates enormously.</summary>
    public static byte[] WithPart(byte[] xlsx, string name, Action<Stream> write)
    {
        using var stream = new MemoryStream();
        stream.Write(xlsx);
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true))
        {
            using var part = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
            write(part);
        }

        return stream.ToArray();
    }

    /// <summary>The package with one part's uncompressed size understated in its local header and its central directory, as a crafted bomb would.</summary>
    public static byte[] Understating(byte[] zip, string name, uint size)
    {
        var bytes = zip.ToArray();
        var span = bytes.AsSpan();
        for (var i = 0; i + 46 < bytes.Length; i++)
        {
            if (BitConverter.ToUInt32(bytes, i) != 0x02014b50) continue;
            var nameLength = BitConverter.ToUInt16(bytes, i + 28);
            if (System.Text.Encoding.UTF8.GetString(bytes, i + 46, nameLength) != name) continue;
            BitConverter.TryWriteBytes(span[(i + 24)..], size);
            var local = (int)BitConverter.ToUInt32(bytes, i + 42);
            BitConverter.TryWriteBytes(span[(local + 22)..], size);
        }

        return bytes;
    }

    private static string Column(int index) => index < 26 ? ((char)('A' + index)).ToString() : Column(index / 26 - 1) + (char)('A' + index % 26);
}
