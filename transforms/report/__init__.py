"""Monthly evaluation report (综合评价月报): PDF (matplotlib PdfPages) or HTML, in Chinese."""
