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
    /// What a spreadsheet did to the cell, in words for the sender ("is in scientific notation..."), never quoting the
    /// cell (it may be most of a NIK), or null when
    /// the cell looks untouched (it may still be invalid for other reasons: the caller's own rules decide that).
    /// </summary>
    public static string? Mangling(TableCell cell)
    {
        var text = cell.Text.Trim();
        if (text.Length == 0) return null;
        if (Scientific().IsMatch(text))
            return "is in scientific notation (like 1.70402E+15): a spreadsheet turned the digits into a number and lost some of them";
        if (cell.IsNumber)
            return "was stored by the spreadsheet as a number, which keeps only 15 significant digits and drops leading zeros, so its digits cannot be trusted";
        if (DecimalTail().IsMatch(text))
            return "ends in a decimal part (like .0): a spreadsheet treated the digits as a number";
        return null;
    }

    [GeneratedRegex(@"^[+-]?\d+([.,]\d+)?[eE][+-]?\d+$")]
    private static partial Regex Scientific();

    [GeneratedRegex(@"^\d{6,}[.,]0+$")]
    private static partial Regex DecimalTail();
}
