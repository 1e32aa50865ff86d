/// Where each region of the studio goes for a terminal size.
struct Layout {
    let columns: Int
    let rows: Int

    var header: Rect { Rect(row: 0, column: 0, width: columns, height: 1) }
    var body: Rect { Rect(row: 1, column: 0, width: columns, height: rows - 3) }
    var progress: Rect { Rect(row: rows - 2, column: 0, width: columns, height: 1) }
    var statusBar: Rect { Rect(row: rows - 1, column: 0, width: columns, height: 1) }

    /// Width of the compose column (the preview gets the rest, the larger part).
    var leftWidth: Int { max(44, min(64, columns * 2 / 5)) }
    /// Five rows of settings, two rows of validation message, two of border.
    static let settingsHeight = 10

    var promptBox: Rect {
        let free = body.height - Layout.settingsHeight
        return Rect(row: body.row, column: 0, width: leftWidth, height: free - free * 2 / 5)
    }
    var negativeBox: Rect {
        let p = promptBox
        return Rect(row: p.bottom, column: 0, width: leftWidth, height: body.height - Layout.settingsHeight - p.height)
    }
    var settingsBox: Rect {
        Rect(row: body.bottom - Layout.settingsHeight, column: 0, width: leftWidth, height: Layout.settingsHeight)
    }
    var preview: Rect { Rect(row: body.row, column: leftWidth, width: columns - leftWidth, height: body.height) }

    /// Rows of settings in one column of the settings box.
    static let settingRows = 6

    /// Columns of settings for `count` fields: two, or more when a model has many options.
    static func settingColumns(_ count: Int) -> Int { max(2, (count + settingRows - 1) / settingRows) }

    /// The width of one column of settings for `count` fields.
    func settingColumnWidth(_ count: Int) -> Int { (settingsBox.width - 2) / Layout.settingColumns(count) }

    /// Where setting `index` of `count` (in `ComposeSettings.fields` order) is drawn: columns of six.
    func settingOrigin(_ index: Int, of count: Int) -> (row: Int, column: Int) {
        let box = settingsBox
        let width = settingColumnWidth(count)
        return (box.row + 1 + index % Layout.settingRows, box.column + 2 + (index / Layout.settingRows) * width)
    }

    var historyList: Rect { Rect(row: body.row, column: 0, width: columns * 3 / 5, height: body.height) }
    var historyDetail: Rect {
        let l = historyList
        return Rect(row: body.row, column: l.right, width: columns - l.right, height: body.height)
    }

    /// Which compose field a click at (row, column) lands on.
    func composeFocus(at row: Int, column: Int, fields: [SettingField]) -> ComposeFocus? {
        if promptBox.contains(row: row, column: column) { return .prompt }
        if negativeBox.contains(row: row, column: column) { return .negative }
        if preview.contains(row: row, column: column) { return .preview }
        if settingsBox.contains(row: row, column: column) {
            let width = settingColumnWidth(fields.count)
            let r = row - settingsBox.row - 1
            guard r >= 0, r < Layout.settingRows, width > 0 else { return nil }
            let index = r + max(0, (column - settingsBox.column - 2) / width) * Layout.settingRows
            return fields.indices.contains(index) ? .setting(fields[index]) : nil
        }
        return nil
    }
}
