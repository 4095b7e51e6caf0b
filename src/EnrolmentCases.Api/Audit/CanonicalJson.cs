using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace EnrolmentCases.Audit;

/// <summary>
/// One text for one JSON value, however it was written: what the writer serialised before the
/// insert and what PostgreSQL prints from jsonb afterwards (which reorders keys, drops spaces and
/// rewrites numbers such as 1E+20 or 1.50) give the same canonical text. Objects have their keys in
/// ordinal order, strings are escaped minimally, numbers are written as the shortest exact decimal.
/// </summary>
public static class CanonicalJson
{
    private static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>The canonical text of <paramref name="json"/>, leaving out the top-level properties named in <paramref name="without"/>.</summary>
    public static string Of(string json, params string[] without)
    {
        using var document = JsonDocument.Parse(json);
        return Of(document.RootElement, without);
    }

    public static string Of(JsonElement element, params string[] without)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Writer))
        {
            Write(writer, element, without);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element, string[] without)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                // Sorted by name, then by position: of duplicate keys the last is written, as jsonb keeps the last.
                // (An array sorted once costs far less than a sorted tree per object: this runs twice for every event written and sealed.)
                var properties = new List<(string Name, int Position, JsonElement Value)>();
                foreach (var property in element.EnumerateObject())
                    if (Array.IndexOf(without, property.Name) < 0) properties.Add((property.Name, properties.Count, property.Value));
                properties.Sort(static (a, b) =>
                    string.CompareOrdinal(a.Name, b.Name) is var byName and not 0 ? byName : a.Position.CompareTo(b.Position));
                for (var i = 0; i < properties.Count; i++)
                {
                    if (i + 1 < properties.Count && properties[i + 1].Name == properties[i].Name) continue;
                    writer.WritePropertyName(properties[i].Name);
                    Write(writer, properties[i].Value, []);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray()) Write(writer, item, []);
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(element.GetString());
                break;
            case JsonValueKind.Number:
                writer.WriteRawValue(Number(element.GetRawText()), skipInputValidation: true);
                break;
            case JsonValueKind.True:
                writer.WriteBooleanValue(true);
                break;
            case JsonValueKind.False:
                writer.WriteBooleanValue(false);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    /// <summary>A number as its shortest exact decimal: 1E+20, 100000000000000000000 and 1.0E20 all become the last; -0 and 0.00 become 0.</summary>
    public static string Number(string raw)
    {
        // Most numbers are plain integers already in that form: no parse needed.
        if (IsPlainInteger(raw)) return raw;
        if (decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            if (value == 0m) return "0";
            // Dividing by 1 with trailing zeros dropped: "G29" would switch to exponent notation for small values.
            var text = (value / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);
            return text.Contains('.') ? text.TrimEnd('0').TrimEnd('.') : text;
        }

        // Beyond decimal's range: as the nearest double, written the same way whoever wrote it.
        var approximate = double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
        return approximate == 0 ? "0" : approximate.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>An integer without sign noise or leading zeros that decimal holds exactly: its own shortest form.</summary>
    private static bool IsPlainInteger(string raw)
    {
        var digits = raw.AsSpan(raw.StartsWith('-') ? 1 : 0);
        if (digits.Length is 0 or > 28) return false;
        if (digits[0] == '0') return raw == "0";
        foreach (var c in digits)
            if (!char.IsAsciiDigit(c)) return false;
        return true;
    }
}
