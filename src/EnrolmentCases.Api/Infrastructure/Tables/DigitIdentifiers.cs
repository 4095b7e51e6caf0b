using System.Text.RegularExpressions;

namespace EnrolmentCases.Infrastructure.Tables;

/// <summary>
/// Identifiers written as long strings of digits (a NIK, a KPJ) that a spreadsheet may have turned into a
/// number. Excel keeps 15 significant digits, drops leading zeros and may show or save the number in
/// scientific notation: once that happened the digits are gone and no reader can bring them back.
/// </summary>
public static partial class DigitIdentifiers
{
    /// <summary>
    /// What the spreadsheet did to the cell, in words for the sender ("was stored as a number..."), or null when
    /// the cell looks untouched (it may still be invalid for other reasons: the caller's own rules decide that).
    /// </summary>
    public static string? Mangling(TableCell cell)
    {
        var text = cell.Text.Trim();
        if (text.Length == 0) return null;
        if (Scientific().IsMatch(text))
            return $"'{text}' is in scientific notation: the spreadsheet turned the digits into a number and lost some of them";
        if (cell.IsNumber)
            return "the spreadsheet stored it as a number, which keeps only 15 significant digits and drops leading zeros, so its digits cannot be trusted";
        if (DecimalTail().IsMatch(text))
            return $"'{text}' ends in a decimal part: the spreadsheet treated it as a number";
        return null;
    }

    [GeneratedRegex(@"^[+-]?\d+([.,]\d+)?[eE][+-]?\d+$")]
    private static partial Regex Scientific();

    [GeneratedRegex(@"^\d{6,}[.,]0+$")]
    private static partial Regex DecimalTail();
}
